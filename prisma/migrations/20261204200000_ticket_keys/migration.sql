-- Custom sign-in tickets: the public keys a client's backend signs tickets with, the client's
-- switch that lets a ticket create an unknown user, and the link from an external user id
-- (provider "custom:<client_id>", subject = the backend's user id) to a Signet user.
ALTER TABLE "clients" ADD COLUMN "custom_ticket_sign_up" BOOLEAN NOT NULL DEFAULT false;

CREATE TABLE "ticket_keys" (
    "client_id" TEXT NOT NULL,
    "kid" TEXT NOT NULL,
    "alg" TEXT NOT NULL,
    "public_jwk" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ticket_keys_pkey" PRIMARY KEY ("client_id", "kid")
);

ALTER TABLE "ticket_keys" ADD CONSTRAINT "ticket_keys_client_id_fkey" FOREIGN KEY ("client_id") REFERENCES "clients"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Kept apart from usernames, e-mails and phones: an external id can never be taken for (or take)
-- an identifier a person chose.
CREATE TABLE "user_identities" (
    "provider" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "user_identities_pkey" PRIMARY KEY ("provider", "subject")
);

-- A user's identities (and the cascade when the user is deleted).
CREATE INDEX "user_identities_user_id_idx" ON "user_identities"("user_id");

ALTER TABLE "user_identities" ADD CONSTRAINT "user_identities_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;
