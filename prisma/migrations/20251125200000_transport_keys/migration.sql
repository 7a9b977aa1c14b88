-- AlterTable
ALTER TABLE "clients" ADD COLUMN     "password_encryption" TEXT NOT NULL DEFAULT 'none',
ADD COLUMN     "reject_replayed_passwords" BOOLEAN NOT NULL DEFAULT false;

-- CreateTable
CREATE TABLE "transport_keys" (
    "thumbprint" TEXT NOT NULL,
    "bits" INTEGER NOT NULL,
    "status" TEXT NOT NULL,
    "private_key_sealed" TEXT NOT NULL,
    "public_key_pem" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "retire_at" TIMESTAMPTZ(3),

    CONSTRAINT "transport_keys_pkey" PRIMARY KEY ("thumbprint")
);
