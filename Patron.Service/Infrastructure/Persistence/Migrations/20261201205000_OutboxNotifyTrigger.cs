using Library.SharedKernel.Messaging;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Library.Patron.Infrastructure.Persistence.Migrations
{
    /// <summary>The outbox NOTIFYs its channel itself, on every insert (no model change).</summary>
    [DbContext(typeof(PatronDbContext))]
    [Migration("20261201205000_OutboxNotifyTrigger")]
    public partial class OutboxNotifyTrigger : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder) => migrationBuilder.CreateOutboxNotifyTrigger("patron");

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder) => migrationBuilder.DropOutboxNotifyTrigger("patron");
    }
}
