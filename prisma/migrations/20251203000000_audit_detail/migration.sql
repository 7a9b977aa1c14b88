-- AlterTable: why a request failed, for the operator (SignetError.detail); never shown to clients.
ALTER TABLE "audit_events" ADD COLUMN "detail" TEXT;
