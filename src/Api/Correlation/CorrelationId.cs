namespace Wrapper.Api.Correlation;

/// <summary>The correlation id of the current request: the caller's <c>X-APIM-Correlation-Id</c> when it was
/// acceptable, otherwise one made here. Stored as an <see cref="HttpContext"/> feature.</summary>
public sealed class CorrelationId
{
    /// <summary>The header read from requests and written on every response.</summary>
    public const string HeaderName = "X-APIM-Correlation-Id";

    /// <summary>Longest incoming id we accept; longer ones are replaced.</summary>
    public const int MaxLength = 128;

    public CorrelationId(string value, bool fromCaller)
    {
        Value = value;
        FromCaller = fromCaller;
    }

    public string Value { get; }

    /// <summary>True when the id came from the caller's header.</summary>
    public bool FromCaller { get; }

    /// <summary>True for 1-128 characters of letters, digits and <c>-_.:/+=</c> (what GUIDs, W3C trace ids and
    /// APIM's ids use), so that the id is safe in a header and in a log line.</summary>
    public static bool IsAcceptable(string? value)
    {
        if (string.IsNullOrEmpty(value) || value.Length > MaxLength)
        {
            return false;
        }

        foreach (var c in value)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':' or '/' or '+' or '='))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A new id, in the GUID form APIM uses.</summary>
    public static string Create() => Guid.NewGuid().ToString("D");
}

public static class CorrelationIdHttpContextExtensions
{
    /// <summary>The request's correlation id, or null outside the correlation middleware.</summary>
    public static string? GetCorrelationId(this HttpContext context) => context.Features.Get<CorrelationId>()?.Value;
}
