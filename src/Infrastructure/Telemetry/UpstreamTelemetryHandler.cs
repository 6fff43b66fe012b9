using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Wrapper.Infrastructure.Telemetry;

/// <summary>
/// A message handler for the upstream HTTP clients: a <c>Wrapper</c> span (<c>upstream {method}</c>, kind Client)
/// around every call, and its duration in <c>wrapper.upstream.duration</c> by upstream host, deployment and status.
/// Nothing of the request (headers, body, query) is recorded, so keys and prompts never reach telemetry.
/// </summary>
public sealed partial class UpstreamTelemetryHandler : DelegatingHandler
{
    private readonly WrapperMetrics _metrics;
    private readonly TimeProvider _time;

    public UpstreamTelemetryHandler(WrapperMetrics metrics, TimeProvider time)
    {
        _metrics = metrics;
        _time = time;
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var upstream = request.RequestUri?.Authority ?? "unknown";
        var deployment = request.RequestUri is { } uri && DeploymentPattern().Match(uri.AbsolutePath) is { Success: true } m
            ? Uri.UnescapeDataString(m.Groups[1].Value)
            : null;

        using var activity = WrapperActivitySource.Instance.StartActivity($"upstream {request.Method.Method}", ActivityKind.Client);
        activity?.SetTag("wrapper.upstream", upstream);
        activity?.SetTag("wrapper.deployment", deployment);

        var started = _time.GetTimestamp();
        int? status = null;
        try
        {
            var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            status = (int)response.StatusCode;
            activity?.SetTag("http.response.status_code", status);
            if (status >= 400)
            {
                activity?.SetStatus(ActivityStatusCode.Error);
            }

            return response;
        }
        catch (Exception ex)
        {
            activity?.SetStatus(ActivityStatusCode.Error, ex.GetType().Name);
            throw;
        }
        finally
        {
            _metrics.RecordUpstreamCall(upstream, deployment, status, _time.GetElapsedTime(started));
        }
    }

    [GeneratedRegex(@"/deployments/([^/]+)", RegexOptions.CultureInvariant)]
    private static partial Regex DeploymentPattern();
}
