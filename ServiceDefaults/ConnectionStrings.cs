using Microsoft.Extensions.Configuration;

namespace Microsoft.Extensions.Hosting;

internal static class ConnectionStrings
{
    /// <summary>Reads <c>ConnectionStrings:{name}</c>, failing fast with the variable name an operator must set.</summary>
    public static string Require(IConfiguration configuration, string name)
    {
        var value = configuration.GetConnectionString(name);
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new InvalidOperationException(
                $"Connection string '{name}' is missing. Set ConnectionStrings__{name} (the AppHost does this for you).");
        }

        return value;
    }
}
