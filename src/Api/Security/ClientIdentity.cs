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
}

/// <summary><see cref="ICurrentClient"/> for the request being served (<see cref="IHttpContextAccessor"/>, which also
/// reaches MCP tool calls: the MCP endpoint is stateless, each call is served within its own HTTP request).</summary>
public sealed class HttpCurrentClient : ICurrentClient
{
    private readonly IHttpContextAccessor _accessor;

    public HttpCurrentClient(IHttpContextAccessor accessor) => _accessor = accessor;

    public string Identity => _accessor.HttpContext is { } context
        ? ClientIdentity.Name(context)
        : throw new InvalidOperationException("The caller's identity is asked for outside of an HTTP request.");
}
