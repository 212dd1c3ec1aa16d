// Same origin as the gateway: a route of routes.json is just a path.
document.getElementById('load').addEventListener('click', async () => {
  const out = document.getElementById('out');
  try {
    const response = await fetch('/jsonplaceholder/todos/1');
    out.textContent = `${response.status}\n${await response.text()}`;
  } catch (error) {
    out.textContent = String(error);
  }
});
