using Microsoft.Extensions.Options;
using Wrapper.Application.Common;

namespace Wrapper.Application.Completion;

/// <summary>Answer one question with the configured system prompt.</summary>
public sealed record GetCompletion(string? Query) : IRequest<ChatCompletion>
{
    /// <summary>What the original service asked when no query was given.</summary>
    public const string DefaultQuery = "how are you?";
}

public sealed class GetCompletionHandler : IRequestHandler<GetCompletion, ChatCompletion>
{
    private readonly IChatCompletionService _chat;
    private readonly IOptions<ChatOptions> _options;

    public GetCompletionHandler(IChatCompletionService chat, IOptions<ChatOptions> options)
    {
        _chat = chat;
        _options = options;
    }

    public Task<ChatCompletion> Handle(GetCompletion request, CancellationToken cancellationToken)
    {
        var query = string.IsNullOrEmpty(request.Query) ? GetCompletion.DefaultQuery : request.Query;
        ChatMessage[] messages = [ChatMessage.System(_options.Value.SystemPrompt), ChatMessage.User(query)];
        return _chat.CompleteAsync(messages, cancellationToken);
    }
}
