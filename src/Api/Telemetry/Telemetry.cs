using System.Runtime.CompilerServices;
using MediatR;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Wrapper.Api.Health;
using Wrapper.Application.Chat;
using Wrapper.Domain.Chat;
using Wrapper.Infrastructure.Telemetry;

namespace Wrapper.Api.Telemetry;

/// <summary>OpenTelemetry traces (every inbound request, every upstream HTTP call, the <c>Wrapper</c> spans) and
/// metrics (ASP.NET Core, HttpClient and the <c>Wrapper</c> meter). Exported over OTLP only when
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set; Serilog stays the log sink.</summary>
public static class Telemetry
{
    public const string OtlpEndpointKey = "OTEL_EXPORTER_OTLP_ENDPOINT";

    public static IServiceCollection AddTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        var otlp = !string.IsNullOrWhiteSpace(configuration[OtlpEndpointKey]);
        var instance = new InstanceId(configuration).Value;
        services.AddTransient(typeof(IPipelineBehavior<,>), typeof(TokenUsageBehaviour<,>));
        services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("wrapper", serviceInstanceId: instance))
            .WithTracing(tracing =>
            {
                tracing.AddAspNetCoreInstrumentation().AddHttpClientInstrumentation().AddSource(WrapperActivitySource.Name);
                if (otlp)
                {
                    tracing.AddOtlpExporter();
                }
            })
            .WithMetrics(metrics =>
            {
                metrics.AddAspNetCoreInstrumentation().AddHttpClientInstrumentation().AddMeter(WrapperMetrics.MeterName);
                if (otlp)
                {
                    metrics.AddOtlpExporter();
                }
            });
        return services;
    }
}

/// <summary>Counts every inbound request in <c>wrapper.requests</c> by method, route template and status.</summary>
public sealed class RequestMetricsMiddleware
{
    private readonly RequestDelegate _next;
    private readonly WrapperMetrics _metrics;

    public RequestMetricsMiddleware(RequestDelegate next, WrapperMetrics metrics)
    {
        _next = next;
        _metrics = metrics;
    }

    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await _next(context);
        }
        finally
        {
            var route = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "(unmatched)";
            _metrics.RecordRequest(context.Request.Method, route, context.Response.StatusCode);
        }
    }
}

/// <summary>Records the tokens of every completed model call (<c>wrapper.tokens</c> by deployment and kind): a whole
/// answer when it comes back, a streamed one when its <see cref="ChatStreamCompleted"/> passes by.</summary>
public sealed class TokenUsageBehaviour<TRequest, TResponse> : IPipelineBehavior<TRequest, TResponse>
{
    private readonly WrapperMetrics _metrics;

    public TokenUsageBehaviour(WrapperMetrics metrics) => _metrics = metrics;

    public async Task<TResponse> Handle(TRequest request, CancellationToken cancellationToken, RequestHandlerDelegate<TResponse> next)
    {
        var response = await next();
        switch (response)
        {
            case ChatCompletion completion:
                _metrics.RecordTokens(completion.Model, completion.Usage);
                break;
            case IAsyncEnumerable<ChatStreamUpdate> updates:
                return (TResponse)(object)RecordingTokens(updates);
        }

        return response;
    }

    private async IAsyncEnumerable<ChatStreamUpdate> RecordingTokens(IAsyncEnumerable<ChatStreamUpdate> updates,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var update in updates.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            if (update is ChatStreamCompleted done)
            {
                _metrics.RecordTokens(done.Model, done.Usage);
            }

            yield return update;
        }
    }
}
