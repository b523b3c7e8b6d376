import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import openapiTS, { astToString, type OpenAPI3 } from 'openapi-typescript';
import { openApiDocument } from '../../../core/gateway/openapi.ts';

/**
 * The client's types, generated from Clarion's OpenAPI document (the one `/v1/openapi.json`
 * serves) by openapi-typescript. `npm run generate:client` rewrites src/openapi.ts; a test fails
 * while the checked-in file and the document disagree.
 */

export const TYPES_FILE = fileURLToPath(new URL('../src/openapi.ts', import.meta.url));

const HEADER = `/**
 * Generated from Clarion's OpenAPI document by openapi-typescript: do not edit.
 * Regenerate with \`npm run generate:client\` (a test fails while this file and the document disagree).
 */

`;

export async function generatedTypes(): Promise<string> {
  const document = openApiDocument('http://127.0.0.1:8080') as unknown as OpenAPI3;
  const ast = await openapiTS(document, { alphabetize: false, exportType: false });
  return HEADER + astToString(ast);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await writeFile(TYPES_FILE, await generatedTypes());
  console.log(`wrote ${TYPES_FILE}`);
}
