// A real OpenID provider for the test suite: panva's oidc-provider, run by Node.
//   OP_CONFIG=config.json OP_PORT=9400 node op.mjs
// The config (JSON) holds clients, users, jwks, cookieKeys and, for the suite's bad-input tests,
// forgeKey: a private key of the same kid that the provider does not publish.
import http from 'node:http';
import { readFileSync } from 'node:fs';
import * as jose from 'jose';
import Provider from 'oidc-provider';

const PORT = Number(process.env.OP_PORT || 9400);
const ISSUER = process.env.OP_ISSUER || `http://localhost:${PORT}`;
const cfg = JSON.parse(readFileSync(process.env.OP_CONFIG, 'utf8'));
const users = cfg.users; // { "emma": { password, claims: { email, email_verified, name } } }

const provider = new Provider(ISSUER, {
  clients: cfg.clients,
  jwks: cfg.jwks,
  cookies: { keys: cfg.cookieKeys },
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'employee_number', 'tid'] },
  pkce: { required: () => true },
  // Scope claims (email, name) in the ID token, as Entra ID and Google put them.
  conformIdTokenClaims: false,
  features: { devInteractions: { enabled: false } },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  findAccount: async (ctx, sub) => users[sub] && { accountId: sub, claims: async () => ({ sub, ...users[sub].claims }) },
  // A first-party client: the requested scopes are granted without a consent screen.
  loadExistingGrant: async (ctx) => {
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid email profile');
    await grant.save();
    return grant;
  },
});

const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const page = (uid, error = '') => `<!doctype html><html lang="en"><head><title>Organisation sign-in</title></head><body>
<h1>Organisation sign-in</h1>${error ? `<p role="alert">${esc(error)}</p>` : ''}
<form method="post" action="/interaction/${esc(uid)}"><label>Username <input name="username" autocomplete="username"></label>
<label>Password <input type="password" name="password"></label><button type="submit">Sign in</button>
<button type="submit" name="cancel" value="1">Cancel</button></form></body></html>`;

async function interaction(req, res) {
  const details = await provider.interactionDetails(req, res);
  if (details.prompt.name !== 'login') throw new Error(`unexpected prompt ${details.prompt.name}`);
  if (req.method === 'GET') { res.writeHead(200, { 'content-type': 'text/html' }); return res.end(page(details.uid)); }
  let body = ''; for await (const chunk of req) body += chunk;
  const form = new URLSearchParams(body);
  if (form.get('cancel')) {
    return provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'cancelled' }, { mergeWithLastSubmission: false });
  }
  const user = users[form.get('username')];
  if (!user || user.password !== form.get('password')) {
    res.writeHead(200, { 'content-type': 'text/html' }); return res.end(page(details.uid, 'Wrong username or password'));
  }
  await provider.interactionFinished(req, res, { login: { accountId: form.get('username') } }, { mergeWithLastSubmission: false });
}

// The suite's bad-input tests: the next ID tokens are changed (and signed again) this way.
let tamper = '';
const now = () => Math.floor(Date.now() / 1000);
const changes = {
  forged: (c) => c,
  aud: (c) => ({ ...c, aud: 'another-client' }),
  iss: (c) => ({ ...c, iss: 'https://impostor.example' }),
  expired: (c) => ({ ...c, iat: now() - 7200, exp: now() - 3600 }),
  nonce: (c) => ({ ...c, nonce: 'not-the-nonce-that-was-sent' }),
  stale_auth_time: (c) => ({ ...c, auth_time: now() - 3600 }),
};

async function tampered(idToken) {
  const claims = jose.decodeJwt(idToken);
  const header = jose.decodeProtectedHeader(idToken);
  const jwk = tamper === 'forged' ? cfg.forgeKey : cfg.jwks.keys[0];
  const key = await jose.importJWK(jwk, header.alg);
  return new jose.SignJWT(changes[tamper](claims)).setProtectedHeader(header).sign(key);
}

function rewriteTokenResponse(res) {
  const end = res.end.bind(res);
  res.end = (chunk, ...rest) => {
    let body;
    try { body = JSON.parse(String(chunk)); } catch { return end(chunk, ...rest); }
    if (!body.id_token) return end(chunk, ...rest);
    tampered(body.id_token).then((token) => {
      const text = JSON.stringify({ ...body, id_token: token });
      if (!res.headersSent) res.setHeader('content-length', Buffer.byteLength(text));
      end(text);
    });
    return res;
  };
}

async function control(req, res) {
  let body = ''; for await (const chunk of req) body += chunk;
  if (body && !changes[body]) { res.writeHead(400); return res.end('unknown change'); }
  tamper = body;
  res.writeHead(204); res.end();
}

const callback = provider.callback();
http.createServer((req, res) => {
  if (req.url === '/_test/tamper' && req.method === 'POST' && cfg.testControls) {
    control(req, res).catch((err) => { res.writeHead(500); res.end(String(err)); });
  } else if (req.url.startsWith('/interaction/')) {
    interaction(req, res).catch((err) => { res.writeHead(500); res.end(String(err)); });
  } else {
    if (tamper && req.url.startsWith('/token')) rewriteTokenResponse(res);
    callback(req, res);
  }
}).listen(PORT, '127.0.0.1', () => console.log(`OP ready ${ISSUER}`));
