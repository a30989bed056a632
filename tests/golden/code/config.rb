# A Rails-style initializer: what the code check finds in Ruby.
Rails.application.configure do
  config.rb_token = ENV["RB_TOKEN"]
  config.rb_host = ENV.fetch("RB_HOST")
  config.rb_pool = ENV.fetch("RB_POOL") { 5 }
  ENV["RB_WRITTEN"] = "1"
  config.rb_dynamic = ENV["RB_#{Rails.env}"]
end
