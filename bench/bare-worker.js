// The baseline: the least a Worker can do to proxy, with no framework and no features.
// switchyard's pass-through is measured against this in the same workerd.
export default {
  fetch(request, env) {
    const url = new URL(request.url);
    return fetch(env.ORIGIN + url.pathname + url.search, request);
  },
};
