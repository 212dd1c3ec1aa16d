// Responses the gateway built itself have headers it may change; the origin's, the cache's and
// the assets' do not, and respond copies those once to add its own. A stage that builds one
// says so here, so the answer is not copied twice.
const owned = new WeakSet<Response>();

export function own(response: Response): Response {
  owned.add(response);
  return response;
}

export const isOwned = (response: Response): boolean => owned.has(response);
