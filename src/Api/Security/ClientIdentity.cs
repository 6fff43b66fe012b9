using Wrapper.Application.Common.Interfaces;

namespace Wrapper.Api.Security;

/// <summary>Who the caller of a request is, as authentication left it: the one place that reads it, for thread
/// ownership (<see cref="ICurrentClient"/>).</summary>
public static class ClientIdentity
{
    /// <summary>The identity of every caller when authentication is off (no client key and no Entra ID configured): all
    /// anonymous callers are one client, so they share their conversation threads.</summary>
    public const string Anonymous = "anonymous";

    /// <summary>The authenticated client's name (an API key's configured name, or <c>entra:&lt;application id&gt;</c>),
    /// or <see cref="Anonymous"/> when the request was not authenticated (authentication off, or an open route).</summary>
    public static string Name(HttpContext context) =>
        context.Items[ApiKeyMiddleware.ClientItem] is string { Length: > 0 } name ? name : Anonymous;

    /// <summary>Who the caller counts as for per-client limits: <c>client:&lt;name&gt;</c> when authenticated, else
    /// <c>ip:&lt;address&gt;</c> (the one a trusted proxy forwarded).</summary>
    public static string Partition(HttpContext context) =>
        context.Items[ApiKeyMiddleware.ClientItem] is string { Length: > 0 } name
            ? "client:" + name
            : "ip:" + (context.Connection.RemoteIpAddress?.ToString() ?? "unknown");
}
