// A real OpenID Connect provider for Accord's single sign-on tests: panva/oidc-provider
// (OpenID Certified), configured from a JSON file, with a plain login form for its
// interactions and a small directory the test edits (a company adding or removing a person).
//
//   node provider.mjs CONFIG.json
//
// CONFIG: {"port", "issuer", "jwks": {"keys": [private JWKs]}, "clients": [...],
//          "accounts": {"<sub>": {"email", "email_verified"}}}
// Prints "listening <issuer>" once it accepts connections.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const accounts = new Map(Object.entries(config.accounts ?? {}));

const provider = new Provider(config.issuer, {
  clients: config.clients,
  jwks: config.jwks,
  cookies: { keys: ['accord-test-cookie-key'] },
  claims: { openid: ['sub'], email: ['email', 'email_verified'] },
  // The hub reads the e-mail address from the ID token, as most providers send it.
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  features: { devInteractions: { enabled: false } },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  // First-party clients: consent is given by the company, not asked of each person.
  async loadExistingGrant(ctx) {
    const { client, session } = ctx.oidc;
    const grantId = session.grantIdFor(client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({ clientId: client.clientId, accountId: session.accountId });
    grant.addOIDCScope('openid email');
    await grant.save();
    return grant;
  },
  issueRefreshToken: async (ctx, client) => client.grantTypeAllowed('refresh_token'),
  async findAccount(ctx, sub) {
    const account = accounts.get(sub);
    if (!account) return undefined;
    return {
      accountId: sub,
      async claims() {
        return { sub, email: account.email, email_verified: account.email_verified };
      },
    };
  },
});

function readForm(req) {
  return new Promise((resolve, reject) => {
    let body = '';
    req.on('data', (chunk) => { body += chunk; });
    req.on('end', () => resolve(new URLSearchParams(body)));
    req.on('error', reject);
  });
}

const LOGIN = (uid) => `<!doctype html><title>Sign in</title>
<form method="post" action="/interaction/${uid}/login">
<label>E-mail <input name="email" autocomplete="username"></label>
<button type="submit">Sign in</button></form>`;

async function interaction(req, res, uid, action) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) throw new Error('interaction mismatch');
  if (!action) {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(LOGIN(uid));
    return;
  }
  const email = (await readForm(req)).get('email') ?? '';
  const sub = [...accounts.entries()].find(([, a]) => a.email === email)?.[0];
  // A person the directory does not know is refused, and the client is told so.
  const result = sub
    ? { login: { accountId: sub } }
    : { error: 'access_denied', error_description: 'the user is unknown to this provider' };
  await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
}

async function directory(req, res) {
  // The test's hand on the company directory: PUT replaces the accounts.
  const body = await new Promise((resolve) => {
    let data = '';
    req.on('data', (c) => { data += c; });
    req.on('end', () => resolve(data));
  });
  accounts.clear();
  for (const [sub, account] of Object.entries(JSON.parse(body))) accounts.set(sub, account);
  res.writeHead(204);
  res.end();
}

const handler = provider.callback();
const server = http.createServer(async (req, res) => {
  try {
    const url = new URL(req.url, config.issuer);
    const match = url.pathname.match(/^\/interaction\/([^/]+)(\/login)?$/);
    if (match) return await interaction(req, res, match[1], match[2]);
    if (url.pathname === '/_directory' && req.method === 'PUT') return await directory(req, res);
    return handler(req, res);
  } catch (err) {
    res.writeHead(500, { 'content-type': 'text/plain' });
    res.end(String(err));
  }
});
server.listen(config.port, '127.0.0.1', () => console.log(`listening ${config.issuer}`));
