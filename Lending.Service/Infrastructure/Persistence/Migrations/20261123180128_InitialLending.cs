using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Library.Lending.Infrastructure.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class InitialLending : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.EnsureSchema(
                name: "lending");

            migrationBuilder.CreateTable(
                name: "borrowers",
                schema: "lending",
                columns: table => new
                {
                    patron_id = table.Column<Guid>(type: "uuid", nullable: false),
                    email = table.Column<string>(type: "character varying(254)", maxLength: 254, nullable: false),
                    membership_tier = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    suspended = table.Column<bool>(type: "boolean", nullable: false),
                    version = table.Column<int>(type: "integer", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_borrowers", x => x.patron_id);
                });

            migrationBuilder.CreateTable(
                name: "idempotency_receipts",
                schema: "lending",
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
                schema: "lending",
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
                name: "loans",
                schema: "lending",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    operation_id = table.Column<Guid>(type: "uuid", nullable: false),
                    patron_id = table.Column<Guid>(type: "uuid", nullable: false),
                    patron_email = table.Column<string>(type: "character varying(254)", maxLength: 254, nullable: false),
                    book_id = table.Column<Guid>(type: "uuid", nullable: false),
                    book_title = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    borrowed_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    due_date = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    returned_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    was_overdue = table.Column<bool>(type: "boolean", nullable: true),
                    status = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    extensions = table.Column<int>(type: "integer", nullable: false),
                    version = table.Column<int>(type: "integer", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_loans", x => x.id);
                    table.CheckConstraint("ck_loans_extensions", "extensions >= 0");
                    table.CheckConstraint("ck_loans_returned_at", "(status = 'returned') = (returned_at IS NOT NULL)");
                    table.CheckConstraint("ck_loans_status", "status IN ('active', 'overdue', 'returned', 'cancelled')");
                });

            migrationBuilder.CreateTable(
                name: "outbox_messages",
                schema: "lending",
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

            migrationBuilder.CreateIndex(
                name: "ix_idempotency_receipts_created_at",
                schema: "lending",
                table: "idempotency_receipts",
                column: "created_at");

            migrationBuilder.CreateIndex(
                name: "ix_loans_due_date",
                schema: "lending",
                table: "loans",
                column: "due_date",
                filter: "status = 'active'");

            migrationBuilder.CreateIndex(
                name: "ix_loans_operation_id",
                schema: "lending",
                table: "loans",
                column: "operation_id",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_loans_patron_id_status",
                schema: "lending",
                table: "loans",
                columns: new[] { "patron_id", "status" });

            migrationBuilder.CreateIndex(
                name: "ux_loans_one_outstanding_per_book",
                schema: "lending",
                table: "loans",
                column: "book_id",
                unique: true,
                filter: "status IN ('active', 'overdue')");

            migrationBuilder.CreateIndex(
                name: "ix_outbox_messages_aggregate_key_id",
                schema: "lending",
                table: "outbox_messages",
                columns: new[] { "aggregate_key", "id" },
                filter: "published_at IS NULL");

            migrationBuilder.CreateIndex(
                name: "ix_outbox_messages_unpublished",
                schema: "lending",
                table: "outbox_messages",
                column: "id",
                filter: "published_at IS NULL");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "borrowers",
                schema: "lending");

            migrationBuilder.DropTable(
                name: "idempotency_receipts",
                schema: "lending");

            migrationBuilder.DropTable(
                name: "inbox_messages",
                schema: "lending");

            migrationBuilder.DropTable(
                name: "loans",
                schema: "lending");

            migrationBuilder.DropTable(
                name: "outbox_messages",
                schema: "lending");
        }
    }
}
