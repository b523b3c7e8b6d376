import { Model } from 'objection';

/**
 * Models are the repositories' typed rows and their query layer for ordinary statements. Their
 * properties keep the columns' snake_case names, so a model instance and a row the hot path's
 * hand-written SQL returns (`to_jsonb`, `returning *`) are the same shape. JSON columns are
 * declared per model (`jsonAttributes`): objection serialises them on write. Times of business
 * logic come from the injected clock; `updated_at` is the database's bookkeeping (`now()`).
 */
export class BaseModel extends Model {}
