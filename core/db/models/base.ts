import { Model, snakeCaseMappers } from 'objection';

/** Tables are snake_case, models camelCase. */
export class BaseModel extends Model {
  static override columnNameMappers = snakeCaseMappers();
}
