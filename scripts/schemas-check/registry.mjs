// The schema registry's own verdict, through its Confluent-compatible API (as libs/kafka registers):
// each subject's compatibility rule (BACKWARD_TRANSITIVE) applied to a schema without registering it.
const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';
const REACH_TIMEOUT_MS = 3_000;
const REQUEST_TIMEOUT_MS = 10_000;
const PAGE = 1000;

export class RegistryUnreachable extends Error {}

async function request(url, init = {}, timeoutMs = REQUEST_TIMEOUT_MS) {
  const response = await fetch(url, {
    ...init,
    headers: { accept: CONTENT_TYPE, ...(init.body ? { 'content-type': CONTENT_TYPE } : {}) },
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await response.text();
  let body;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = text;
  }
  return { status: response.status, ok: response.ok, body };
}

const errorOf = ({ status, body }) => `HTTP ${status}${body?.message ? `: ${body.message}` : ''}`;

/** Every subject, page by page; throws RegistryUnreachable when the registry does not answer. */
export async function listSubjects(registryUrl) {
  const subjects = new Set();
  for (let offset = 0; ; offset += PAGE) {
    let page;
    try {
      page = await request(`${registryUrl}/subjects?offset=${offset}&limit=${PAGE}`, {}, REACH_TIMEOUT_MS);
    } catch (error) {
      throw new RegistryUnreachable(error.cause?.code ?? error.cause?.message ?? error.message);
    }
    if (!page.ok || !Array.isArray(page.body)) throw new RegistryUnreachable(`GET /subjects answered ${errorOf(page)}`);
    const before = subjects.size;
    for (const subject of page.body) subjects.add(subject);
    // A registry that ignores `offset` answers the same page again.
    if (page.body.length < PAGE || subjects.size === before) return subjects;
  }
}

// The same text libs/kafka registers: the parsed file, stringified.
const schemaBody = (schema) => JSON.stringify({ schema: JSON.stringify(schema), schemaType: 'AVRO' });

/**
 * The version under which the subject already holds this schema, if it does: registering it again is
 * then a no-op that no compatibility rule applies to (even if a later version was registered since).
 */
export async function registeredVersion(registryUrl, subject, schema) {
  const answer = await request(`${registryUrl}/subjects/${encodeURIComponent(subject)}`, {
    method: 'POST',
    body: schemaBody(schema),
  });
  if (answer.status === 404) return undefined;
  if (!answer.ok) throw new Error(`the registry answered ${errorOf(answer)} to a lookup in ${subject}`);
  return answer.body?.version;
}

/**
 * The registry's answer to "may this schema be registered under the subject?", checked against its
 * latest version under the subject's compatibility level: `{ isCompatible, messages, level }`.
 * Apicurio's ccompat API gives no messages even with `verbose`; Confluent's does.
 */
export async function checkCompatibility(registryUrl, subject, schema) {
  const subjectPath = encodeURIComponent(subject);
  const answer = await request(`${registryUrl}/compatibility/subjects/${subjectPath}/versions/latest?verbose=true`, {
    method: 'POST',
    body: schemaBody(schema),
  });
  if (!answer.ok || typeof answer.body?.is_compatible !== 'boolean') {
    throw new Error(`the registry answered ${errorOf(answer)} to the compatibility check of ${subject}`);
  }
  const result = { isCompatible: answer.body.is_compatible, messages: answer.body.messages ?? [] };
  if (result.isCompatible) return result;
  const config = await request(`${registryUrl}/config/${subjectPath}?defaultToGlobal=true`);
  return { ...result, level: config.body?.compatibilityLevel ?? config.body?.compatibility };
}
