using System.Text.Json.Nodes;
using Wrapper.Application.Chat;
using Wrapper.Application.OpenAICompatible;

namespace Wrapper.Application.Common.Interfaces;

/// <summary>One relayed call: the client's body and the model it names.</summary>
/// <param name="Body">The request body; the adapter sets <c>model</c> (and, on a stream, <c>stream_options.include_usage</c>)
/// on a copy and leaves every other field as it is.</param>
/// <param name="Model">The public model and the deployment behind it.</param>
public sealed record RelayCall(JsonObject Body, ServedModel Model);

/// <summary>Port: chat completions in OpenAI's wire format, relayed to the model service (Azure OpenAI) through the same
/// upstream pool, circuit breakers, failover, deadlines and telemetry as <see cref="IChatCompletionService"/>.</summary>
/// <remarks>As <see cref="IChatCompletionService"/>: every upstream failure leaves as
/// <see cref="Exceptions.UpstreamException"/> (its message safe to show: no key, no upstream address), caller
/// cancellation as <see cref="OperationCanceledException"/>.</remarks>
public interface IChatCompletionRelay
{
    /// <summary>The public model names served, in configuration order (<c>OpenAICompatible:Models</c>).</summary>
    IReadOnlyList<ServedModel> Models { get; }

    /// <summary>The served model of that public name (ordinal), or null.</summary>
    ServedModel? Find(string name);

    /// <summary>The whole answer, exactly as the upstream sent it.</summary>
    Task<RelayedChatCompletion> CompleteAsync(RelayCall call, CancellationToken cancellationToken);

    /// <summary>The answer's events (<see cref="RelayedChunk"/>), then one <see cref="ChatStreamCompleted"/> with the usage.
    /// Nothing is sent before the enumeration starts; a failure before the first event may fail over and surfaces from the
    /// first <c>MoveNextAsync</c>; a failure after it ends the enumeration with an <see cref="Exceptions.UpstreamException"/>.</summary>
    IAsyncEnumerable<ChatStreamUpdate> StreamAsync(RelayCall call, CancellationToken cancellationToken);
}
