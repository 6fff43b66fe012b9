namespace Wrapper.Api.Health;

/// <summary>This instance's name, sent as <see cref="HeaderName"/> on every response so failover can be observed from
/// outside: <c>INSTANCE_ID</c> (deploy/ sets <c>&lt;prefix&gt;-&lt;index&gt;</c>), or the host name.</summary>
public sealed class InstanceId
{
    public const string HeaderName = "X-Instance-Id";
    public const string ConfigurationKey = "INSTANCE_ID";

    public InstanceId(IConfiguration configuration)
    {
        var configured = configuration[ConfigurationKey]?.Trim();
        // Only visible ASCII fits a header value; anything else falls back to the host name.
        Value = !string.IsNullOrEmpty(configured) && configured.All(c => c is > ' ' and < (char)127)
            ? configured
            : Environment.MachineName;
    }

    public string Value { get; }
}

/// <summary>Adds <see cref="InstanceId.HeaderName"/> to every response, errors and 404s included (outermost middleware).</summary>
public sealed class InstanceIdMiddleware
{
    private readonly RequestDelegate _next;
    private readonly string _value;

    public InstanceIdMiddleware(RequestDelegate next, InstanceId instance)
    {
        _next = next;
        _value = instance.Value;
    }

    public Task InvokeAsync(HttpContext context)
    {
        context.Response.OnStarting(static state =>
        {
            var (response, value) = ((HttpResponse, string))state;
            response.Headers[InstanceId.HeaderName] = value;
            return Task.CompletedTask;
        }, (context.Response, _value));
        return _next(context);
    }
}
