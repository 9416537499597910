/**
 * A ClickHouse string literal holding `text` exactly (backslash escapes, as the engine's lexer reads them).
 * For the few places a value must be written into a statement's text: `SET param_<name>` on a session, a
 * setting's value, a list of names known to the pipeline. Values otherwise travel as query parameters.
 */
export function stringLiteral(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** A query parameter's name as ClickHouse accepts it after `param_` (and as `{name:Type}` names it). */
export const QUERY_PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
