// The local stack's OpenID provider: oidc-provider (a certified OpenID Connect implementation),
// started by deploy/local/stack.sh. Not for production: an organization points the services at
// its own identity provider (docs/SECURITY.md).
//
//   node provider.mjs serve CONFIG.json     serve over https until SIGTERM
//   node provider.mjs keys init KEYS.json   a first RS256 signing key, unless the file has one
//   node provider.mjs keys add KEYS.json    a new RS256 key, first (it signs from the next
//                                           start on); the others stay published (rotation)
//   node provider.mjs keys retire KEYS.json keep only the first key (the old ones leave the JWKS)
//   node provider.mjs sign KEYS.json HEADER PAYLOAD
//                                           for the security tests: an RS256 JWT over the given
//                                           header and payload (JSON) with the provider's current
//                                           key, as a provider with a wrong clock or setting would
//                                           issue it; kid defaults to the key's
//
// CONFIG.json (written by stack.sh): {"issuer", "port", "tls_cert", "tls_key", "keys_file",
// "cookie_secret_file", "secrets_dir", "clients_file", "access_token_ttl_seconds", "web_url"}.
// The clients, resources and demo users are clients.json beside this file; client secrets are
// files in secrets_dir (<client_id>.secret), never logged.
//
// Tokens: access tokens are RS256 JWTs (typ at+jwt) for exactly one resource (resource
// indicators, RFC 8707): aud = that resource's audience (advocacy-consent, ...), scope = the
// requested scopes the client may have and the resource defines, plus the claims the services
// map (services/common auth_config.h): tenant, roles (IdP role names) and sub (the account id,
// or the client id for client credentials).

import { readFileSync, writeFileSync, renameSync, existsSync } from 'node:fs';
import { createPrivateKey, generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import { createServer } from 'node:https';
import { dirname, join } from 'node:path';

import Provider, { errors } from 'oidc-provider';

const readJson = (path) => JSON.parse(readFileSync(path, 'utf8'));

function writeJsonAtomic(path, value) {
  const tmp = `${path}.tmp.${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, path);
}

function newSigningKey() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = privateKey.export({ format: 'jwk' });
  return { ...jwk, kid: randomUUID(), alg: 'RS256', use: 'sig' };
}

function keysCommand(action, file) {
  const keys = existsSync(file) ? readJson(file).keys : [];
  switch (action) {
    case 'init':
      if (keys.length > 0) return;
      keys.push(newSigningKey());
      break;
    case 'add':
      keys.unshift(newSigningKey());
      break;
    case 'retire':
      keys.splice(1);
      break;
    default:
      throw new Error(`unknown keys action '${action}' (init, add, retire)`);
  }
  writeJsonAtomic(file, { keys });
  process.stdout.write(`${keys.map((k) => k.kid).join(' ')}\n`);
}

function providerConfiguration(config, catalog) {
  const clientsById = new Map(catalog.clients.map((c) => [c.client_id, c]));
  const resources = catalog.resources;
  const allScopes = Object.values(resources).flatMap((r) => r.scopes);
  const secret = (id) => readFileSync(join(config.secrets_dir, `${id}.secret`), 'utf8').trim();
  const testClient = (ctx) => clientsById.get(ctx?.oidc?.client?.clientId)?.test_principals === true;
  // The token endpoint knows only its grant's parameters: the test client's own are read from
  // the request body.
  const param = (ctx, name) => {
    const v = ctx?.oidc?.params?.[name] ?? ctx?.oidc?.body?.[name];
    return typeof v === 'string' && v !== '' ? v : undefined;
  };

  // The web app's client: the gateway (its backend-for-frontend) is a confidential client with
  // PKCE; its redirect and logout addresses are the local web URL (config.web_url) besides the
  // fixed ones of clients.json.
  const webUrl = typeof config.web_url === 'string' && config.web_url !== '' ? config.web_url : undefined;
  const clients = catalog.clients.map((c) => {
    if (c.grant === 'authorization_code') {
      return {
        client_id: c.client_id,
        client_secret: secret(c.client_id),
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        redirect_uris: [...c.redirect_uris, ...(webUrl ? [`${webUrl}/auth/callback`] : [])],
        post_logout_redirect_uris: webUrl ? [`${webUrl}/`] : [],
        scope: ['openid', 'profile', 'email', 'offline_access', ...allScopes].join(' '),
      };
    }
    return {
      client_id: c.client_id,
      client_secret: secret(c.client_id),
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      // A client's scope is its allow-list; without one oidc-provider allows every scope, so a
      // client with no API scope gets 'openid' (which no API accepts).
      scope: c.scope || 'openid',
    };
  });

  const ttl = config.access_token_ttl_seconds;
  return {
    clients,
    jwks: readJson(config.keys_file),
    cookies: { keys: [readFileSync(config.cookie_secret_file, 'utf8').trim()] },
    // Every API scope is a known scope, so a client's `scope` is its allow-list for all of them.
    scopes: ['openid', 'offline_access', ...allScopes],
    claims: { openid: ['sub'], profile: ['name'], email: ['email'] },
    pkce: { required: () => true, methods: ['S256'] },
    // The first-party web app asks nobody for consent at the provider (the product's own consent
    // is the consent service's): its grant covers what it asks for, every resource included.
    loadExistingGrant: async (ctx) => {
      const grantId = ctx.oidc.result?.consent?.grantId
        || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
      if (grantId) return ctx.oidc.provider.Grant.find(grantId);
      if (clientsById.get(ctx.oidc.client.clientId)?.first_party !== true) return undefined;
      const grant = new ctx.oidc.provider.Grant({
        clientId: ctx.oidc.client.clientId,
        accountId: ctx.oidc.session.accountId,
      });
      grant.addOIDCScope('openid profile email offline_access');
      grant.addOIDCClaims(['sub', 'name', 'email']);
      for (const indicator of clientsById.get(ctx.oidc.client.clientId).resources ?? []) {
        grant.addResourceScope(indicator, resources[indicator].scopes.join(' '));
      }
      await grant.save();
      return grant;
    },
    // A refresh token for the web app's gateway whenever its client may refresh (it holds the
    // tokens server-side; offline_access without prompt=consent would otherwise drop it).
    issueRefreshToken: async (ctx, client, code) => client.grantTypeAllowed('refresh_token')
      && (code.scopes.has('offline_access') || clientsById.get(client.clientId)?.first_party === true),
    features: {
      devInteractions: { enabled: true }, // the login page; any password, demo users only
      clientCredentials: { enabled: true },
      introspection: { enabled: false },
      revocation: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: async (ctx, client, oneOf) => (oneOf ? oneOf[0] : undefined),
        useGrantedResource: async () => true,
        getResourceServerInfo: async (ctx, indicator, client) => {
          const resource = resources[indicator];
          const allowed = clientsById.get(client.clientId)?.resources ?? [];
          if (!resource || !allowed.includes(indicator)) {
            throw new errors.InvalidTarget('this client may not ask for tokens for that resource');
          }
          return {
            scope: resource.scopes.join(' '),
            audience: resource.audience,
            accessTokenFormat: 'jwt',
            accessTokenTTL: ttl,
            jwt: { sign: { alg: 'RS256' } },
          };
        },
      },
    },
    ttl: {
      AccessToken: ttl,
      ClientCredentials: (ctx) => {
        const asked = Number(param(ctx, 'advocacy_ttl'));
        return testClient(ctx) && Number.isInteger(asked) && asked > 0 ? asked : ttl;
      },
      AuthorizationCode: 60,
      IdToken: 3600,
      Interaction: 600,
      Session: 3600,
      Grant: 3600,
      RefreshToken: 3600,
    },
    findAccount: async (ctx, id) => {
      const user = catalog.users[id];
      if (!user) return undefined; // only the demo users exist
      return {
        accountId: id,
        claims: async () => ({ sub: id, name: user.name, email: user.email }),
      };
    },
    // The claims the services map (tenant, roles): from the demo user or the client.
    extraTokenClaims: async (ctx, token) => {
      if (token.accountId) {
        const user = catalog.users[token.accountId];
        return user ? { tenant: user.tenant, roles: user.roles } : undefined;
      }
      const c = clientsById.get(token.clientId);
      if (!c) return undefined;
      if (c.test_principals) {
        const role = param(ctx, 'advocacy_role');
        return {
          tenant: param(ctx, 'advocacy_tenant'),
          roles: role ? [`advocacy-${role}`] : [],
        };
      }
      return { tenant: c.tenant, roles: c.roles };
    },
    formats: {
      customizers: {
        // The test client names its principal's subject, and may ask for a token all four
        // services accept (its scope is then the requested scopes it may have).
        jwt: async (ctx, token, jwt) => {
          if (!testClient(ctx)) return;
          const subject = param(ctx, 'advocacy_subject');
          if (subject) jwt.payload.sub = subject; // eslint-disable-line no-param-reassign
          if (param(ctx, 'advocacy_all_audiences') === 'true') {
            const allow = new Set((clientsById.get(ctx.oidc.client.clientId).scope || '').split(' '));
            const asked = (param(ctx, 'scope') || '').split(' ').filter((s) => allow.has(s));
            /* eslint-disable no-param-reassign */
            jwt.payload.aud = Object.values(resources).map((r) => r.audience);
            jwt.payload.scope = asked.length > 0 ? asked.join(' ') : undefined;
            /* eslint-enable no-param-reassign */
          }
        },
      },
    },
    renderError: async (ctx, out) => {
      ctx.type = 'html';
      ctx.body = `<!DOCTYPE html><title>Error / Feil</title><h1>Sign-in failed / Innlogging feilet</h1><p>${String(out.error).replace(/[<>&"]/g, '')}</p>`;
    },
  };
}

function serve(configFile) {
  const config = readJson(configFile);
  const catalog = readJson(config.clients_file ?? join(dirname(new URL(import.meta.url).pathname), 'clients.json'));
  const provider = new Provider(config.issuer, providerConfiguration(config, catalog));
  provider.on('server_error', (ctx, err) => console.error(`server_error: ${err.stack}`));
  provider.on('grant.error', (ctx, err) => console.error(`grant.error: ${err.message} ${err.error_description ?? ''}`));
  const server = createServer({
    cert: readFileSync(config.tls_cert),
    key: readFileSync(config.tls_key),
  }, provider.callback());
  server.listen(config.port, '127.0.0.1', () => {
    console.log(`oidc-provider ${config.issuer} listening (JWKS ${config.issuer}/jwks)`);
  });
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

function signCommand(file, header, payload) {
  const [key] = readJson(file).keys;
  const b64 = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const input = `${b64({ alg: 'RS256', typ: 'at+jwt', kid: key.kid, ...JSON.parse(header) })}.${b64(JSON.parse(payload))}`;
  const signature = sign('sha256', Buffer.from(input), createPrivateKey({ key, format: 'jwk' }));
  process.stdout.write(`${input}.${signature.toString('base64url')}\n`);
}

const [command, ...args] = process.argv.slice(2);
if (command === 'serve') serve(args[0]);
else if (command === 'keys') keysCommand(args[0], args[1]);
else if (command === 'sign') signCommand(args[0], args[1], args[2]);
else {
  console.error('usage: provider.mjs serve CONFIG.json | keys init|add|retire KEYS.json | sign KEYS.json HEADER PAYLOAD');
  process.exit(2);
}
