using Microsoft.Extensions.Options;
using Wrapper.Application.Common;

namespace Wrapper.Application.Chat;

/// <summary>One message as a caller sent it. Roles arrive as text so that a wrong role is a validation error
/// naming the field, not a deserialisation failure.</summary>
public sealed record ChatMessageInput(string? Role, string? Content);

/// <summary>Continue a conversation.</summary>
public sealed record CompleteChat(IReadOnlyList<ChatMessageInput>? Messages) : IRequest<ChatCompletion>, IConversationRequest, Quotas.IMeteredRequest
{
    public IReadOnlyList<ChatMessage> Prompt(ChatOptions options) => Conversation.ToMessages(Messages, options.SystemPrompt);
}

public sealed class CompleteChatHandler : IRequestHandler<CompleteChat, ChatCompletion>
{
    private readonly IChatCompletionService _chat;
    private readonly IOptions<ChatOptions> _options;

    public CompleteChatHandler(IChatCompletionService chat, IOptions<ChatOptions> options)
    {
        _chat = chat;
        _options = options;
    }

    public Task<ChatCompletion> Handle(CompleteChat request, CancellationToken cancellationToken) =>
        _chat.CompleteAsync(request.Prompt(_options.Value), cancellationToken);
}
