using System.ClientModel;
using System.ClientModel.Primitives;
using Azure.AI.OpenAI;
using Microsoft.Extensions.Options;
using Wrapper.Application.Common.Exceptions;
using Wrapper.Application.Common.Interfaces;
using Wrapper.Infrastructure.OpenAI;

namespace Wrapper.Infrastructure.Health;

/// <summary>
/// Checks that the deployment exists and accepts our credentials without spending a token: <c>GET
/// {endpoint}/openai/deployments/{deployment}?api-version=...</c> on the data plane, sent through the Azure OpenAI
/// client's own pipeline (the same key or Entra ID authentication, bounded retries and transport as every chat call).
/// Failures map exactly as chat calls do (<see cref="UpstreamErrorMapper"/>): 401/403 authentication, 404 not found,
/// 429 throttled with its retry-after, 5xx or no answer unavailable, no answer in time timeout.
/// </summary>
public sealed class AzureOpenAIDeploymentProbe : IUpstreamHealthProbe
{
    private readonly AzureOpenAIClient _client;
    private readonly AzureOpenAIOptions _options;
    private readonly TimeProvider _time;

    public AzureOpenAIDeploymentProbe(AzureOpenAIClient client, IOptions<AzureOpenAIOptions> options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        _client = client;
        _options = options.Value;
        _time = time;
    }

    /// <inheritdoc />
    public async Task<UpstreamMode> ProbeAsync(CancellationToken cancellationToken)
    {
        var endpoint = _options.Endpoint ?? throw new InvalidOperationException("OPENAI_ENDPOINT is not set.");
        var uri = new Uri(endpoint.AbsoluteUri.TrimEnd('/')
            + "/openai/deployments/" + Uri.EscapeDataString(_options.Deployment)
            + "?api-version=" + Uri.EscapeDataString(_options.ApiVersion));

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_options.RequestTimeout);
        using var message = _client.Pipeline.CreateMessage();
        message.Request.Method = "GET";
        message.Request.Uri = uri;
        message.Request.Headers.Set("Accept", "application/json");
        message.Apply(new RequestOptions { CancellationToken = deadline.Token });
        try
        {
            await _client.Pipeline.SendAsync(message).ConfigureAwait(false);
            if (message.Response is not { } response)
            {
                throw new ClientResultException("Azure OpenAI sent no response.");
            }

            if (response.IsError)
            {
                throw new ClientResultException(response);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex) when (ex is not UpstreamException)
        {
            throw UpstreamErrorMapper.Map(ex, _options.Deployment, _options.RequestTimeout, _time.GetUtcNow());
        }

        return _options.Simulated ? UpstreamMode.Simulated : UpstreamMode.Azure;
    }
}
