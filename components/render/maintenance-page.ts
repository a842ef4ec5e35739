/**
 * The page nginx serves with 503 in maintenance mode. Self-contained (inline style, no
 * scripts, fonts or images) because nothing behind nginx can be relied on while it shows.
 */
export function renderMaintenancePage(): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>DEAN - down for maintenance</title>
<style>
  body { margin: 0; min-height: 100vh; display: flex; align-items: center; justify-content: center;
         font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background: #f4f5f7; color: #1f2933; }
  main { max-width: 32rem; padding: 2rem; text-align: center; }
  h1 { font-size: 1.5rem; margin: 0 0 1rem; }
  p { line-height: 1.5; margin: 0.5rem 0; }
</style>
</head>
<body>
<main>
  <h1>DEAN is down for maintenance</h1>
  <p>The DEAN Orchestration System is being upgraded or repaired and will be back shortly.</p>
  <p>No request has been processed. Please try again in a few minutes.</p>
</main>
</body>
</html>
`;
}
