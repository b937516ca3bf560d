using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Library.Patron.Infrastructure.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class InitialPatron : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.EnsureSchema(
                name: "patron");

            migrationBuilder.CreateTable(
                name: "idempotency_receipts",
                schema: "patron",
                columns: table => new
                {
                    principal = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    method = table.Column<string>(type: "character varying(10)", maxLength: 10, nullable: false),
                    route = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    key = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    request_hash = table.Column<byte[]>(type: "bytea", nullable: false),
                    status_code = table.Column<int>(type: "integer", nullable: true),
                    content_type = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    location = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: true),
                    body = table.Column<byte[]>(type: "bytea", nullable: true),
                    created_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_idempotency_receipts", x => new { x.principal, x.method, x.route, x.key });
                });

            migrationBuilder.CreateTable(
                name: "inbox_messages",
                schema: "patron",
                columns: table => new
                {
                    consumer = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    message_id = table.Column<Guid>(type: "uuid", nullable: false),
                    type = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    handled_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_inbox_messages", x => new { x.consumer, x.message_id });
                });

            migrationBuilder.CreateTable(
                name: "outbox_messages",
                schema: "patron",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    aggregate_key = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    type = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    envelope = table.Column<string>(type: "jsonb", nullable: false),
                    occurred_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    trace_parent = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: true),
                    published_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    attempts = table.Column<int>(type: "integer", nullable: false),
                    last_error = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_outbox_messages", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "patrons",
                schema: "patron",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    first_name = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    last_name = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    email = table.Column<string>(type: "character varying(254)", maxLength: 254, nullable: false),
                    membership_tier = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    suspended = table.Column<bool>(type: "boolean", nullable: false),
                    suspended_reason = table.Column<string>(type: "character varying(500)", maxLength: 500, nullable: true),
                    registered_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    version = table.Column<int>(type: "integer", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_patrons", x => x.id);
                    table.CheckConstraint("ck_patrons_email_lower", "email = lower(email)");
                    table.CheckConstraint("ck_patrons_reason_iff_suspended", "suspended = (suspended_reason IS NOT NULL)");
                    table.CheckConstraint("ck_patrons_tier", "membership_tier IN ('regular', 'premium', 'researcher')");
                });

            migrationBuilder.CreateIndex(
                name: "ix_idempotency_receipts_created_at",
                schema: "patron",
                table: "idempotency_receipts",
                column: "created_at");

            migrationBuilder.CreateIndex(
                name: "ix_outbox_messages_aggregate_key_id",
                schema: "patron",
                table: "outbox_messages",
                columns: new[] { "aggregate_key", "id" },
                filter: "published_at IS NULL");

            migrationBuilder.CreateIndex(
                name: "ix_outbox_messages_unpublished",
                schema: "patron",
                table: "outbox_messages",
                column: "id",
                filter: "published_at IS NULL");

            migrationBuilder.CreateIndex(
                name: "ix_patrons_email",
                schema: "patron",
                table: "patrons",
                column: "email",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_patrons_membership_tier_id",
                schema: "patron",
                table: "patrons",
                columns: new[] { "membership_tier", "id" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "idempotency_receipts",
                schema: "patron");

            migrationBuilder.DropTable(
                name: "inbox_messages",
                schema: "patron");

            migrationBuilder.DropTable(
                name: "outbox_messages",
                schema: "patron");

            migrationBuilder.DropTable(
                name: "patrons",
                schema: "patron");
        }
    }
}
