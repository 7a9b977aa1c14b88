-- The authorization code grant: the redirect URIs a client registered (matched exactly), and
-- whether it is the tenant's own application (a later consent page skips consent for those).
ALTER TABLE "clients" ADD COLUMN "redirect_uris" TEXT[] NOT NULL DEFAULT '{}';
ALTER TABLE "clients" ADD COLUMN "first_party" BOOLEAN NOT NULL DEFAULT true;
