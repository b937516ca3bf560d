namespace Library.SharedKernel.Http;

/// <summary>Invalid input, with every offending field and why. Maps to 400 <c>validation.failed</c>.</summary>
public sealed class ValidationException(IReadOnlyDictionary<string, string[]> errors)
    : Exception("One or more fields are invalid.")
{
    public IReadOnlyDictionary<string, string[]> Errors { get; } = errors;

    public static ValidationException ForField(string field, string message)
        => new(new Dictionary<string, string[]> { [field] = [message] });
}

/// <summary>Collects field errors of one request so the client hears about all of them at once.</summary>
public sealed class ValidationErrors
{
    private readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);

    public bool Any => _errors.Count > 0;

    public void Add(string field, string message)
    {
        if (!_errors.TryGetValue(field, out var list))
        {
            _errors[field] = list = [];
        }

        list.Add(message);
    }

    /// <summary>Returns the value when it is valid; otherwise records the error and returns default.</summary>
    public T? Collect<T>(string field, Domain.Result<T> result)
    {
        if (result.IsSuccess)
        {
            return result.Value;
        }

        Add(field, result.Error!.Message);
        return default;
    }

    public void ThrowIfAny()
    {
        if (Any)
        {
            throw new ValidationException(_errors.ToDictionary(e => e.Key, e => e.Value.ToArray(), StringComparer.Ordinal));
        }
    }
}
