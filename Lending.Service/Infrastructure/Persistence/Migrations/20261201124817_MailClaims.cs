using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Library.Lending.Infrastructure.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class MailClaims : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<Guid>(
                name: "claim_id",
                schema: "lending",
                table: "outgoing_mails",
                type: "uuid",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "claim_id",
                schema: "lending",
                table: "outgoing_mails");
        }
    }
}
