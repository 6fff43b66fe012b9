namespace Wrapper.Api.Security;

/// <summary>
/// Who a request counts as for the per-client rate limit (and the request log), in one place:
/// <list type="bullet">
/// <item><c>subscriber:&lt;id&gt;</c> — a request authenticated with a key configured as a gateway's
/// (<see cref="ApiKeyEntry.Gateway"/>, e.g. the one API Management presents) that names its caller in
/// <c>X-APIM-Subscription-Id</c>: every APIM subscriber gets its own bucket, although all arrive with the one backend key;</item>
/// <item><c>client:&lt;name&gt;</c> — any other authenticated client (a gateway request without a subscriber too);</item>
/// <item><c>ip:&lt;address&gt;</c> — an anonymous request (the address a trusted proxy forwarded, see <see cref="TrustedProxies"/>).</item>
/// </list>
/// The subscriber headers (<c>X-APIM-Subscription-Id</c>, <c>X-APIM-Product-Id</c>) are believed only from a gateway's key:
/// from any other caller <see cref="UseClientPartition"/> removes them before anything (a handler, the log) reads them.
/// Reads the authenticated client through <see cref="ClientIdentity"/>.
/// </summary>
public static class ClientPartition
{
    /// <summary>Longest subscription or product id believed; a longer or odd one is ignored.</summary>
    public const int MaxIdLength = 256;

    /// <summary>How a vouched-for subscriber is named in a partition and as a thread owner.</summary>
    public const string SubscriberPrefix = "subscriber:";

    private const string ResolvedItem = "Wrapper.ClientPartition";

    /// <summary>The rate-limit partition of the request (computed once per request).</summary>
    public static string Resolve(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Items[ResolvedItem] is string resolved)
        {
            return resolved;
        }

        var partition = Subscriber(context) is { } subscriber
            ? SubscriberPrefix + subscriber
            : ClientIdentity.AuthenticatedName(context) is { } name
                ? "client:" + name
                : "ip:" + (context.Connection.RemoteIpAddress?.ToString() ?? "unknown");
        context.Items[ResolvedItem] = partition;
        return partition;
    }

    /// <summary>The APIM subscription id the gateway vouched for, or null (not a gateway's key, no or an unusable header).</summary>
    public static string? Subscriber(HttpContext context) =>
        FromGateway(context) ? Usable(context.Request.Headers[WrapperHeaders.SubscriptionId]) : null;

    /// <summary>The APIM product id the gateway vouched for, or null.</summary>
    public static string? Product(HttpContext context) =>
        FromGateway(context) ? Usable(context.Request.Headers[WrapperHeaders.ProductId]) : null;

    /// <summary>After authentication: drops the subscriber headers of a request that did not come with a gateway's
    /// key, so that no caller can choose its own partition or identity.</summary>
    public static IApplicationBuilder UseClientPartition(this IApplicationBuilder app) =>
        app.Use((context, next) =>
        {
            if (!FromGateway(context))
            {
                context.Request.Headers.Remove(WrapperHeaders.SubscriptionId);
                context.Request.Headers.Remove(WrapperHeaders.ProductId);
            }

            return next(context);
        });

    private static bool FromGateway(HttpContext context) => ClientIdentity.IsGateway(context);

    private static string? Usable(Microsoft.Extensions.Primitives.StringValues values)
    {
        if (values.Count != 1 || values[0] is not { Length: > 0 and <= MaxIdLength } value)
        {
            return null;
        }

        foreach (var c in value)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '~' or ':' or '@' or '/' or '+' or '='))
            {
                return null;
            }
        }

        return value;
    }
}
