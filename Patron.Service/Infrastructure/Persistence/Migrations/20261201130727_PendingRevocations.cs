using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Library.Patron.Infrastructure.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class PendingRevocations : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "pending_revocations",
                schema: "patron",
                columns: table => new
                {
                    entry = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    until_unix_ms = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_pending_revocations", x => x.entry);
                });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "pending_revocations",
                schema: "patron");
        }
    }
}
