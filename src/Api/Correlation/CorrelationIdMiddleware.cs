using Serilog.Context;

namespace Wrapper.Api.Correlation;

/// <summary>Reads <c>X-APIM-Correlation-Id</c> (or makes one), makes it available to logs
/// (<c>CorrelationId</c> property) and to error bodies, and returns it as a response header.</summary>
public sealed class CorrelationIdMiddleware
{
    private readonly RequestDelegate _next;

    public CorrelationIdMiddleware(RequestDelegate next) => _next = next;

    public async Task InvokeAsync(HttpContext context)
    {
        var incoming = context.Request.Headers[CorrelationId.HeaderName];
        var id = incoming.Count == 1 && CorrelationId.IsAcceptable(incoming[0])
            ? new CorrelationId(incoming[0]!, fromCaller: true)
            : new CorrelationId(CorrelationId.Create(), fromCaller: false);

        context.Features.Set(id);

        // Set when the response starts: the exception handler clears headers set earlier.
        context.Response.OnStarting(static state =>
        {
            var (ctx, value) = ((HttpContext, string))state;
            ctx.Response.Headers[CorrelationId.HeaderName] = value;
            return Task.CompletedTask;
        }, (context, id.Value));

        using (LogContext.PushProperty("CorrelationId", id.Value))
        {
            await _next(context);
        }
    }
}
