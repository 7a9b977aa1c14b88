-- CreateTable
CREATE TABLE "audit_events" (
    "id" BIGSERIAL NOT NULL,
    "time" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "event" TEXT NOT NULL,
    "tenant_id" TEXT,
    "user_id" TEXT,
    "client_id" TEXT,
    "device_id" TEXT,
    "ip" TEXT,
    "reason" TEXT,

    CONSTRAINT "audit_events_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "audit_events_user_id_time_idx" ON "audit_events"("user_id", "time" DESC);

-- CreateIndex
CREATE INDEX "audit_events_tenant_id_time_idx" ON "audit_events"("tenant_id", "time" DESC);

-- CreateIndex
CREATE INDEX "audit_events_time_idx" ON "audit_events"("time");

-- CreateIndex
CREATE INDEX "sessions_user_id_device_id_idx" ON "sessions"("user_id", "device_id") WHERE device_id <> '';
