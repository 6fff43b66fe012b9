using Wrapper.Application.Common.Interfaces;

namespace Wrapper.Api.Security;

/// <summary><see cref="ICurrentClient"/> for the request being served (<see cref="IHttpContextAccessor"/>, which also
/// reaches MCP tool calls: the MCP endpoint is stateless, each call is served within its own HTTP request).</summary>
public sealed class HttpCurrentClient : ICurrentClient
{
    private readonly IHttpContextAccessor _accessor;

    public HttpCurrentClient(IHttpContextAccessor accessor) => _accessor = accessor;

    public string Identity => _accessor.HttpContext is { } context
        ? ClientIdentity.Name(context)
        : throw new InvalidOperationException("The caller's identity is asked for outside of an HTTP request.");

    public string Partition => _accessor.HttpContext is { } context
        ? ClientIdentity.Partition(context)
        : throw new InvalidOperationException("The caller's partition is asked for outside of an HTTP request.");
}
