using Library.SharedKernel.Domain;
using Library.SharedKernel.Http;

namespace Library.Patron.Application.Accounts;

/// <summary>
/// The first admin comes from configuration (<c>Bootstrap:AdminEmail</c>, <c>Bootstrap:AdminPassword</c>) when no
/// admin exists yet (SPEC §5). There is no compiled-in default: without both settings no admin is created.
/// </summary>
public static partial class AdminBootstrap
{
    public static async Task RunAsync(IServiceProvider services, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(services);
        var configuration = services.GetRequiredService<IConfiguration>();
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(AdminBootstrap).FullName!);
        var email = configuration["Bootstrap:AdminEmail"];
        var password = configuration["Bootstrap:AdminPassword"];
        if (string.IsNullOrWhiteSpace(email) || string.IsNullOrEmpty(password))
        {
            LogNotConfigured(logger);
            return;
        }

        await using var scope = services.CreateAsyncScope();
        try
        {
            var normalized = email.Trim().ToLowerInvariant();
            if (await scope.ServiceProvider.GetRequiredService<AccountCommands>().BootstrapAdminAsync(normalized, password, cancellationToken))
            {
                LogCreated(logger, normalized);
            }
        }
        catch (ValidationException e)
        {
            // A bad bootstrap setting is the operator's to fix; the message names the field, never the value.
            throw new InvalidOperationException($"Bootstrap admin settings are invalid: {string.Join("; ", e.Errors.SelectMany(f => f.Value))}", e);
        }
        catch (DomainErrorException e)
        {
            throw new InvalidOperationException($"The bootstrap admin could not be created: {e.Error.Message}", e);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Created the bootstrap admin account {Email}")]
    private static partial void LogCreated(ILogger logger, string email);

    [LoggerMessage(Level = LogLevel.Information, Message = "No bootstrap admin configured (Bootstrap__AdminEmail / Bootstrap__AdminPassword); no admin account was created")]
    private static partial void LogNotConfigured(ILogger logger);
}
