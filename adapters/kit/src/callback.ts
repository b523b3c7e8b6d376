/** Thrown by `parseCallback` when a receipt's signature is missing (401) or wrong (403). */
export class CallbackRejected extends Error {
  readonly status: 401 | 403;
  constructor(status: 401 | 403, message: string) {
    super(message);
    this.name = 'CallbackRejected';
    this.status = status;
  }
}
