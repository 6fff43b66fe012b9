using System.Diagnostics;
using Microsoft.AspNetCore.Http.Features;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Wrapper.Api.Health;
using Wrapper.Infrastructure.Telemetry;

namespace Wrapper.Api.Telemetry;

/// <summary>OpenTelemetry traces (every inbound request, every upstream HTTP call, the <c>Wrapper</c> spans) and
/// metrics (ASP.NET Core, HttpClient and the <c>Wrapper</c> meter: <see cref="WrapperMetrics"/>). HTTP is measured once,
/// by the standard instrumentation; our own tags are added to it by enrichment (<see cref="TelemetryEnrichment"/>).
/// Exported over OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set; Serilog stays the log sink. Without an exporter the
/// OpenTelemetry SDK is not started at all: recording spans that nobody exports cost CPU and allocations on every request
/// (bench/), and the metrics stay readable as they are without it (the framework's and <see cref="WrapperMetrics"/>'s
/// instruments are plain <c>System.Diagnostics.Metrics</c>: <c>dotnet-counters</c>, or any <c>MeterListener</c>).</summary>
public static class Telemetry
{
    public const string OtlpEndpointKey = "OTEL_EXPORTER_OTLP_ENDPOINT";

    public static IServiceCollection AddTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        if (string.IsNullOrWhiteSpace(configuration[OtlpEndpointKey]))
        {
            return services;
        }

        var instance = new InstanceId(configuration).Value;
        services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("wrapper", serviceInstanceId: instance))
            .WithTracing(tracing =>
            {
                tracing
                    .AddAspNetCoreInstrumentation(o => o.EnrichWithHttpResponse = TelemetryEnrichment.EnrichServerSpan)
                    .AddHttpClientInstrumentation(o => o.EnrichWithHttpRequestMessage = TelemetryEnrichment.EnrichClientSpan)
                    .AddSource(WrapperActivitySource.Name)
                    .AddOtlpExporter();
            })
            .WithMetrics(metrics =>
            {
                metrics.AddAspNetCoreInstrumentation().AddHttpClientInstrumentation().AddMeter(WrapperMetrics.MeterName)
                    .AddOtlpExporter();
            });
        return services;
    }
}

/// <summary>
/// Our tags on the standard HTTP telemetry (recorded once, by the ASP.NET Core and HttpClient instrumentation):
/// <list type="bullet">
/// <item><c>wrapper.refusal = client</c> on inbound requests the service refused because of the client (the
/// <see cref="WrapperHeaders.Refusal"/> header: rate limit, key, body size), on the span and on
/// <c>http.server.request.duration</c>, so that dashboards tell them from failures;</item>
/// <item><c>wrapper.deployment</c> on upstream calls whose path names an Azure OpenAI deployment.</item>
/// </list>
/// Nothing of a request's headers, body or query is recorded, so keys and prompts never reach telemetry.
/// </summary>
public static class TelemetryEnrichment
{
    public const string RefusalTag = "wrapper.refusal";
    public const string DeploymentTag = "wrapper.deployment";

    /// <summary>Adds the refusal tag to the request's metrics (ASP.NET Core records them when the request ends, after
    /// this middleware returns).</summary>
    public static IApplicationBuilder UseTelemetryEnrichment(this IApplicationBuilder app) =>
        app.Use(async (context, next) =>
        {
            try
            {
                await next(context);
            }
            finally
            {
                if (IsClientRefusal(context.Response) && context.Features.Get<IHttpMetricsTagsFeature>() is { } metrics)
                {
                    metrics.Tags.Add(new(RefusalTag, WrapperHeaders.ClientRefusal));
                }
            }
        });

    public static void EnrichServerSpan(Activity activity, HttpResponse response)
    {
        if (IsClientRefusal(response))
        {
            activity.SetTag(RefusalTag, WrapperHeaders.ClientRefusal);
        }
    }

    public static void EnrichClientSpan(Activity activity, HttpRequestMessage request)
    {
        if (request.RequestUri is { } uri && DeploymentOf(uri.AbsolutePath) is { } deployment)
        {
            activity.SetTag(DeploymentTag, deployment);
        }
    }

    /// <summary>The deployment named by an Azure OpenAI path (<c>/openai/deployments/{deployment}/...</c>); null for other
    /// paths (the v1 API names it in the body only).</summary>
    public static string? DeploymentOf(string path)
    {
        const string marker = "/deployments/";
        var start = path.IndexOf(marker, StringComparison.Ordinal);
        if (start < 0)
        {
            return null;
        }

        start += marker.Length;
        var end = path.IndexOf('/', start);
        var segment = end < 0 ? path[start..] : path[start..end];
        return segment.Length == 0 ? null : Uri.UnescapeDataString(segment);
    }

    private static bool IsClientRefusal(HttpResponse response) =>
        string.Equals(response.Headers[WrapperHeaders.Refusal], WrapperHeaders.ClientRefusal, StringComparison.OrdinalIgnoreCase);
}
