namespace Wrapper.Gateway.Correlation;

/// <summary>Passes the caller's <c>X-APIM-Correlation-Id</c> to the backend, or makes one (as APIM does) when it
/// is missing or unacceptable, and returns it on every response, the gateway's own included.</summary>
public sealed class CorrelationIdMiddleware
{
    public const string HeaderName = "X-APIM-Correlation-Id";

    /// <summary>Longest id passed on; a longer one is replaced (same rule as the API).</summary>
    public const int MaxLength = 128;

    private static readonly object ItemKey = new();

    private readonly RequestDelegate _next;

    public CorrelationIdMiddleware(RequestDelegate next) => _next = next;

    public Task InvokeAsync(HttpContext context)
    {
        var incoming = context.Request.Headers[HeaderName];
        var id = incoming.Count == 1 && IsAcceptable(incoming[0]) ? incoming[0]! : Guid.NewGuid().ToString("D");
        context.Request.Headers[HeaderName] = id;
        context.Items[ItemKey] = id;
        context.Response.OnStarting(static state =>
        {
            var (ctx, value) = ((HttpContext, string))state;
            ctx.Response.Headers[HeaderName] = value;
            return Task.CompletedTask;
        }, (context, id));
        return _next(context);
    }

    /// <summary>1-128 letters, digits and <c>-_.:/+=</c>.</summary>
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

    internal static string? Get(HttpContext context) => context.Items[ItemKey] as string;
}

public static class CorrelationIdHttpContextExtensions
{
    /// <summary>The request's correlation id, or null outside the middleware.</summary>
    public static string? GetCorrelationId(this HttpContext context) => CorrelationIdMiddleware.Get(context);
}
