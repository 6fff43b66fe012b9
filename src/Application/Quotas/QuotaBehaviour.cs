using System.Runtime.CompilerServices;
using Microsoft.Extensions.Options;
using Wrapper.Application.Chat;
using Wrapper.Application.Common;
using Wrapper.Application.Common.Exceptions;

namespace Wrapper.Application.Quotas;

/// <summary>
/// Enforces the caller's limits on every <see cref="IMeteredRequest"/>, after validation (an invalid request costs
/// nothing): before the handler, one atomic reservation of one request and the estimated tokens (prompt tokens counted
/// with the model's encoding, plus the request's own output limit (<see cref="IMeteredRequest.MaxOutputTokens"/>) or else
/// <see cref="QuotaOptions.EstimatedCompletionTokens"/>; no tokens when the client has no token limit, so that
/// requests-only limits never count a prompt); a refusal leaves as
/// <see cref="ClientQuotaExceededException"/> without calling the model. After the answer the reservation is corrected
/// to the usage the model reported; for a stream when it ends (its last update carries the usage), or, when it breaks
/// off or the caller leaves, to the prompt plus one token per piece of text received. A failed call costs nothing but
/// its request (the prompt, when the model may have read it: a timeout, an unreadable answer, a cancellation).
/// </summary>
public sealed class QuotaBehaviour<TRequest, TResponse> : IPipelineBehavior<TRequest, TResponse>
{
    private readonly IClientQuota _quota;
    private readonly IPromptTokenCounter _tokens;
    private readonly ICurrentClient _client;
    private readonly QuotaStatus _status;
    private readonly IOptions<QuotaOptions> _options;
    private readonly IOptions<ChatOptions> _chat;

    public QuotaBehaviour(IClientQuota quota, IPromptTokenCounter tokens, ICurrentClient client, QuotaStatus status,
        IOptions<QuotaOptions> options, IOptions<ChatOptions> chat)
    {
        _quota = quota;
        _tokens = tokens;
        _client = client;
        _status = status;
        _options = options;
        _chat = chat;
    }

    public async Task<TResponse> Handle(TRequest request, CancellationToken cancellationToken, RequestHandlerDelegate<TResponse> next)
    {
        var options = _options.Value;
        if (request is not IMeteredRequest metered || !options.Enabled)
        {
            return await next().ConfigureAwait(false);
        }

        var client = _client.Partition;
        var limits = options.For(client);
        if (limits.IsUnlimited)
        {
            return await next().ConfigureAwait(false);
        }

        // Tokens are counted only against a token limit: requests-only limits never run the tokenizer.
        var prompt = limits.LimitsTokens ? metered.Prompt(_chat.Value) : null;
        var promptTokens = prompt is null ? 0 : _tokens.CountPrompt(prompt);
        var estimate = prompt is null ? 0 : promptTokens + Math.Max(0, metered.MaxOutputTokens ?? options.EstimatedCompletionTokens);

        var decision = await _quota.ReserveAsync(new QuotaRequest(client, limits, estimate), cancellationToken).ConfigureAwait(false);
        _status.Decision = decision;
        if (!decision.Admitted)
        {
            throw new ClientQuotaExceededException(decision);
        }

        var reservation = decision.Reservation!;
        TResponse response;
        try
        {
            response = await next().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            await _quota.CorrectAsync(reservation, CostOfFailure(ex, promptTokens)).ConfigureAwait(false);
            throw;
        }

        switch (response)
        {
            case ChatCompletion completion:
                await _quota.CorrectAsync(reservation, Reported(completion.Usage, reservation, promptTokens)).ConfigureAwait(false);
                return response;
            case IMeteredAnswer answer:
                await _quota.CorrectAsync(reservation, Reported(answer.Usage, reservation, promptTokens)).ConfigureAwait(false);
                return response;
            case IAsyncEnumerable<ChatStreamUpdate> stream:
                return (TResponse)Metered(stream, reservation, promptTokens, cancellationToken);
            default:
                return response;
        }
    }

    /// <summary>The stream, correcting the reservation once when it ends, however it ends.</summary>
    private async IAsyncEnumerable<ChatStreamUpdate> Metered(IAsyncEnumerable<ChatStreamUpdate> stream, QuotaReservation reservation,
        int promptTokens, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        TokenUsage? usage = null;
        var pieces = 0;
        try
        {
            await foreach (var update in stream.WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                switch (update)
                {
                    case ChatStreamCompleted done:
                        usage = done.Usage;
                        break;
                    case ChatStreamDelta or OpenAICompatible.RelayedChunk { HasOutput: true }:
                        pieces++;
                        break;
                }

                yield return update;
            }
        }
        finally
        {
            // Azure OpenAI streams about one token per piece: the best count of an answer that never reported its usage.
            var actual = usage is { TotalTokens: > 0 } reported ? reported : new TokenUsage(promptTokens, pieces);
            await _quota.CorrectAsync(reservation, actual).ConfigureAwait(false);
        }
    }

    private static TokenUsage Reported(TokenUsage usage, QuotaReservation reservation, int promptTokens) =>
        usage.TotalTokens > 0 ? usage : new TokenUsage(promptTokens, (int)Math.Max(0, reservation.Tokens - promptTokens));

    private static TokenUsage CostOfFailure(Exception ex, int promptTokens) => ex switch
    {
        OperationCanceledException => new TokenUsage(promptTokens, 0),
        UpstreamException { Failure: UpstreamFailure.Timeout or UpstreamFailure.BadResponse } => new TokenUsage(promptTokens, 0),
        _ => TokenUsage.None,
    };
}
