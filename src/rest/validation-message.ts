// Turns a request's schema violations into one message that says what to change, e.g.
// `body.drain must be a boolean; body has a property "targetDir" it does not know (allowed: targetDirectory, drain)`.

import type { FastifySchemaValidationError } from "fastify";

export function validationMessage(errors: FastifySchemaValidationError[], dataVar: string): string {
  const problems = errors.map((error) => problem(error, dataVar));
  return `bad request: ${[...new Set(problems)].join("; ")} (GET /openapi.json describes every route)`;
}

function problem(error: FastifySchemaValidationError, dataVar: string): string {
  const where = `${dataVar}${error.instancePath.replaceAll("/", ".")}`;
  const params = error.params;
  switch (error.keyword) {
    case "required":
      return `${where} needs the property ${JSON.stringify(params.missingProperty)}`;
    case "additionalProperties":
      return `${where} has a property ${JSON.stringify(params.additionalProperty)} it does not know`;
    case "const":
      return `${where} must be ${JSON.stringify(params.allowedValue)}`;
    case "type":
      return `${where} must be ${article(String(params.type))}`;
    case "pattern":
      return `${where} must match ${String(params.pattern)}`;
    default:
      return `${where} ${error.message ?? "is not valid"}`;
  }
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}
