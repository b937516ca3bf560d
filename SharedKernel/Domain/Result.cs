namespace Library.SharedKernel.Domain;

/// <summary>
/// The outcome of creating a value object from raw input: either the value or a field error.
/// Used where one request can carry several invalid fields and the client should hear about all of them.
/// </summary>
public readonly record struct Result<T>
{
    private readonly T? _value;

    private Result(T? value, FieldError? error)
    {
        _value = value;
        Error = error;
    }

    public FieldError? Error { get; }

    public bool IsSuccess => Error is null;

    public T Value => IsSuccess ? _value! : throw new InvalidOperationException($"No value: {Error!.Message}");

    public static Result<T> Success(T value) => new(value, null);

    public static Result<T> Failure(string code, string message) => new(default, new FieldError(code, message));

    public static implicit operator Result<T>(T value) => Success(value);
}

public sealed record FieldError(string Code, string Message);
