using Microsoft.EntityFrameworkCore.Migrations;

namespace Library.SharedKernel.Messaging;

/// <summary>
/// The outbox announces itself: a statement-level trigger on <c>outbox_messages</c> NOTIFYs the schema's outbox
/// channel (<c>outbox_{schema}</c>, see <see cref="Persistence.LibraryDbContext.OutboxChannel"/>) for every INSERT, in
/// the inserting transaction, so the relay hears of the rows when, and only when, they commit. It replaces a
/// <c>SELECT pg_notify(…)</c> round trip after each save, and also covers rows written by any other path.
/// PostgreSQL folds identical notifications of one transaction into one.
/// </summary>
public static class OutboxNotifyTrigger
{
    public static void CreateOutboxNotifyTrigger(this MigrationBuilder migrationBuilder, string schema)
    {
        ArgumentNullException.ThrowIfNull(migrationBuilder);
        migrationBuilder.Sql($$"""
            CREATE OR REPLACE FUNCTION "{{schema}}".notify_outbox() RETURNS trigger LANGUAGE plpgsql AS $fn$
            BEGIN
                PERFORM pg_notify('outbox_{{schema}}', '');
                RETURN NULL;
            END
            $fn$;
            CREATE TRIGGER outbox_messages_notify AFTER INSERT ON "{{schema}}".outbox_messages
                FOR EACH STATEMENT EXECUTE FUNCTION "{{schema}}".notify_outbox();
            """);
    }

    public static void DropOutboxNotifyTrigger(this MigrationBuilder migrationBuilder, string schema)
    {
        ArgumentNullException.ThrowIfNull(migrationBuilder);
        migrationBuilder.Sql($"""
            DROP TRIGGER IF EXISTS outbox_messages_notify ON "{schema}".outbox_messages;
            DROP FUNCTION IF EXISTS "{schema}".notify_outbox();
            """);
    }
}
