// The embedded OpenID provider: npm oidc-provider (OpenID Certified), configured for the suite.
//
// Started by support/stack/embedded_stack.py as: node identity_provider.mjs '<settings JSON>'
// with settings {client_id, client_secret, redirect_uris}. It listens on a free port of 127.0.0.1
// and prints one JSON line {"ready": true, "issuer": ...} once it serves.
//
// Identities need no admin API: the claims come from the login name typed at the login page.
//   alice-1a2b@chat-acceptance.test              sub and email are the login, email_verified true
//   unverified+alice-1a2b@chat-acceptance.test   that email, email_verified false (another sub)
//   alice-1a2b@chat-acceptance.test|new@x.test   sub alice-1a2b@..., whose email is now new@x.test
import { generateKeyPairSync, randomBytes } from "node:crypto";
import http from "node:http";
import querystring from "node:querystring";
import Provider from "oidc-provider";

const settings = JSON.parse(process.argv[2]);
const UNVERIFIED = "unverified+";
const emails = new Map(); // subject -> the email it was last given with "subject|email"

function claimsFor(login) {
  const verified = !login.startsWith(UNVERIFIED);
  const email = emails.get(login) ?? (verified ? login : login.slice(UNVERIFIED.length));
  return { email, email_verified: verified, name: email.split("@")[0] };
}

// The login form's "subject|email" means: this subject, with this email from now on.
async function rememberEmailChange(ctx, next) {
  if (ctx.method === "POST" && ctx.path.startsWith("/interaction/")) {
    const chunks = [];
    for await (const chunk of ctx.req) chunks.push(chunk);
    const form = querystring.parse(Buffer.concat(chunks).toString());
    if (typeof form.login === "string" && form.login.includes("|")) {
      const [subject, email] = form.login.split("|");
      emails.set(subject, email);
      form.login = subject;
    }
    ctx.req.body = form;
  }
  await next();
}

const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: "jwk" }), kid: `embedded-${randomBytes(6).toString("hex")}`, use: "sig", alg: "RS256" };

const server = http.createServer();
server.listen(0, "127.0.0.1", () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: settings.client_id,
        client_secret: settings.client_secret,
        redirect_uris: settings.redirect_uris,
        grant_types: ["authorization_code"],
        response_types: ["code"],
        token_endpoint_auth_method: "client_secret_basic",
      },
    ],
    pkce: { required: () => true, methods: ["S256"] },
    conformIdTokenClaims: false, // email and email_verified in the ID token, not only from userinfo
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
    scopes: ["openid", "email", "profile"],
    features: { devInteractions: { enabled: true } }, // the login page a browser (or the suite) fills in
    jwks: { keys: [signingKey] },
    cookies: { keys: [randomBytes(32).toString("hex")] },
    ttl: { AuthorizationCode: 60, IdToken: 300, AccessToken: 300, Interaction: 300, Session: 600, Grant: 600 },
    findAccount: async (ctx, id) => ({ accountId: id, claims: async () => claimsFor(id) }),
    // The platform is a first-party client: consent is given once the user has logged in.
    loadExistingGrant: async (ctx) => {
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
      grant.addOIDCScope("openid email profile");
      await grant.save();
      return grant;
    },
  });
  provider.proxy = false;
  provider.use(rememberEmailChange);
  server.on("request", provider.callback());
  console.log(JSON.stringify({ ready: true, issuer }));
});

for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, () => server.close(() => process.exit(0)));
