-- The table of zoho-oauth's PostgreSQL store (zoho-oauth(1), "Sharing a
-- token across machines" in the README). zoho-oauth creates it on first
-- use where its role may; otherwise a DBA runs this, in a schema on the
-- role's search_path, and grants the role only what it needs:
--   GRANT SELECT, INSERT, UPDATE, DELETE ON zoho_oauth_tokens TO fleet;
-- Whoever can read it holds every profile's refresh token and client
-- secret: grant it to the role zoho-oauth uses and nobody else.
CREATE TABLE IF NOT EXISTS zoho_oauth_tokens (
  profile text PRIMARY KEY,              -- the zoho-oauth profile name
  client_id text NOT NULL,
  accounts_server text NOT NULL,
  record text NOT NULL,                  -- JSON: tokens, client secret (secret!)
  issued bigint[] NOT NULL DEFAULT '{}', -- when access tokens were issued, last hour (the server's clock)
  updated_at timestamptz NOT NULL DEFAULT now(),
  updated_by text NOT NULL DEFAULT ''    -- host and pid of the last writer
);
