-- Accounts users own: profile fields, anonymous users, a per-client sign-up switch.
ALTER TABLE "users" ADD COLUMN "picture" TEXT;
ALTER TABLE "users" ADD COLUMN "gender" TEXT;
ALTER TABLE "users" ADD COLUMN "locale" TEXT;
ALTER TABLE "users" ADD COLUMN "anonymous" BOOLEAN NOT NULL DEFAULT false;
-- Anonymous users only: the purge of those never upgraded reads them by expiry.
CREATE INDEX "users_anonymous_expires_at_idx" ON "users"("expires_at") WHERE anonymous = true;

ALTER TABLE "clients" ADD COLUMN "sign_up_enabled" BOOLEAN NOT NULL DEFAULT true;

-- A user's live sessions by device (RevokeDevice, the devices list).
-- (sessions_user_id_device_id_idx already covers (user_id, device_id) for device_id <> ''.)
