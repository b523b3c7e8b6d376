// The part of oidc-provider (a test dependency, without bundled types) the SSO test uses.
declare module 'oidc-provider' {
  import type { RequestListener } from 'node:http';
  export default class Provider {
    constructor(issuer: string, configuration: unknown);
    callback(): RequestListener;
  }
}
