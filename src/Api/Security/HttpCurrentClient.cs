using Wrapper.Application.Common.Interfaces;

namespace Wrapper.Api.Security;

/// <summary><see cref="ICurrentClient"/> for the request being served (<see cref="IHttpContextAccessor"/>, which also
/// reaches MCP tool calls: the MCP endpoint is stateless, each call is served within its own HTTP request). Behind a
/// gateway's key the caller is the APIM subscriber the gateway vouched for (<see cref="ClientPartition.Subscriber"/>), so
/// subscribers sharing the one backend key do not share their threads.</summary>
public sealed class HttpCurrentClient : ICurrentClient
{
    private readonly IHttpContextAccessor _accessor;

    public HttpCurrentClient(IHttpContextAccessor accessor) => _accessor = accessor;

    public string Identity => _accessor.HttpContext is { } context
        ? ClientPartition.Subscriber(context) is { } subscriber
            ? ClientPartition.SubscriberPrefix + subscriber
            : ClientIdentity.Name(context)
        : throw new InvalidOperationException("The caller's identity is asked for outside of an HTTP request.");

    public string Partition => _accessor.HttpContext is { } context
        ? ClientPartition.Resolve(context)
        : throw new InvalidOperationException("The caller's partition is asked for outside of an HTTP request.");
}
