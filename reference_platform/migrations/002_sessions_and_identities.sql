-- Sessions: one per login, the family its refresh tokens rotate in; revoking it ends them all.
CREATE TABLE sessions (
    id uuid PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    client_id text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz,
    revoked_reason text
);
CREATE INDEX sessions_user_id ON sessions (user_id);

INSERT INTO sessions (id, user_id, client_id, created_at, expires_at)
SELECT family_id, user_id, 'chat-web', min(created_at), max(expires_at) FROM refresh_tokens GROUP BY family_id, user_id;
ALTER TABLE refresh_tokens
    ADD CONSTRAINT refresh_tokens_session FOREIGN KEY (family_id) REFERENCES sessions (id) ON DELETE CASCADE;

ALTER TABLE ws_tickets ADD COLUMN session_id uuid REFERENCES sessions (id) ON DELETE CASCADE;

-- Accounts made by signing in through a provider have no password.
ALTER TABLE users ALTER COLUMN password_hash DROP NOT NULL;

-- Sign-in identities: a provider's subject always finds the same account.
CREATE TABLE identities (
    provider text NOT NULL,
    subject text NOT NULL,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    email text,
    email_verified boolean NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (provider, subject)
);
CREATE INDEX identities_user_id ON identities (user_id);

-- A browser's login attempt at a provider: state, nonce and PKCE verifier, bound to its cookie.
CREATE TABLE oidc_attempts (
    cookie_hash text PRIMARY KEY,
    provider text NOT NULL,
    state text NOT NULL,
    nonce text NOT NULL,
    code_verifier text NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at timestamptz
);

-- One-time codes that hand a signed-in browser's tokens to the app, outside any URL.
CREATE TABLE login_codes (
    code_hash text PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at timestamptz NOT NULL,
    used_at timestamptz
);
