#!/usr/bin/env node
// wsframe command line: `wsframe serve [--port N] [--host H] [--deflate]`, `wsframe inspect FILE|-`.
// Each command loads only its own modules (the inspector starts without the server's).

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i === -1 ? undefined : args[i + 1];
}

async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  if (command === 'serve') {
    const port = Number(option(args, '--port') ?? process.env.PORT ?? 8080);
    const host = option(args, '--host') ?? process.env.HOST ?? '127.0.0.1';
    const { startDemo } = await import('./demo/server.js');
    const { url } = await startDemo({ port, host, deflate: args.includes('--deflate') });
    console.log(`wsframe demo server: open ${url} (frame inspector; echo endpoint ${url.replace(/^http/, 'ws')}echo, live tap ${url.replace(/^http/, 'ws')}tap?id=…)`);
    return -1;
  }
  if (command === 'inspect') return (await import('./inspect/cli.js')).runInspect(args);
  console.log('usage: wsframe serve [--port N] [--host H] [--deflate]\n       wsframe inspect FILE|- [--format table|json] [--hex] [--role client|server]');
  return command === undefined || command === '--help' ? 0 : 2;
}

main(process.argv.slice(2)).then(
  (code) => { if (code >= 0) process.exitCode = code; },
  (error: Error) => { console.error(`wsframe: ${error.message}`); process.exitCode = 1; },
);
