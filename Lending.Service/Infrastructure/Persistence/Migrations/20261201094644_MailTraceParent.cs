using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Library.Lending.Infrastructure.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class MailTraceParent : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "trace_parent",
                schema: "lending",
                table: "outgoing_mails",
                type: "character varying(100)",
                maxLength: 100,
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "trace_parent",
                schema: "lending",
                table: "outgoing_mails");
        }
    }
}
