using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Library.Patron.Infrastructure.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class RefreshTokenSuccessor : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<byte[]>(
                name: "replaced_by",
                schema: "patron",
                table: "refresh_tokens",
                type: "bytea",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "replaced_by",
                schema: "patron",
                table: "refresh_tokens");
        }
    }
}
